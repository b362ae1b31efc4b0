package io.github.qemucpr.qmp.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.internal.codec.QmpJsonModule;
import io.github.qemucpr.qmp.internal.codec.Replies;
import io.github.qemucpr.qmp.internal.wire.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The schema helpers on a small schema in QEMU's introspection format, with masked type names, an
 * alternate, a list, a union and a cycle.
 */
class QmpSchemaTest {
  private static final JsonCodec CODEC = new JsonCodec(new QmpJsonModule());

  private static final String SCHEMA =
      "["
          + "{\"name\": \"migrate-set-parameters\", \"meta-type\": \"command\","
          + " \"arg-type\": \"1\", \"ret-type\": \"0\"},"
          + "{\"name\": \"0\", \"meta-type\": \"object\", \"members\": []},"
          + "{\"name\": \"1\", \"meta-type\": \"object\", \"members\": ["
          + "  {\"name\": \"mode\", \"type\": \"2\", \"default\": null},"
          + "  {\"name\": \"tls-creds\", \"type\": \"3\", \"default\": null},"
          + "  {\"name\": \"modes\", \"type\": \"[2]\", \"default\": null},"
          + "  {\"name\": \"mode-or-null\", \"type\": \"4\", \"default\": null},"
          + "  {\"name\": \"multifd-channels\", \"type\": \"int\", \"default\": null},"
          + "  {\"name\": \"legacy\", \"type\": \"6\"}]},"
          + "{\"name\": \"2\", \"meta-type\": \"enum\", \"members\": [{\"name\": \"normal\"},"
          + " {\"name\": \"cpr-reboot\"}], \"values\": [\"normal\", \"cpr-reboot\"]},"
          + "{\"name\": \"3\", \"meta-type\": \"alternate\", \"members\": [{\"type\": \"str\"},"
          + " {\"type\": \"null\"}]},"
          + "{\"name\": \"[2]\", \"meta-type\": \"array\", \"element-type\": \"2\"},"
          + "{\"name\": \"4\", \"meta-type\": \"alternate\", \"members\": [{\"type\": \"2\"},"
          + " {\"type\": \"null\"}]},"
          + "{\"name\": \"6\", \"meta-type\": \"enum\", \"values\": [\"old\", \"older\"]},"
          + "{\"name\": \"int\", \"meta-type\": \"builtin\", \"json-type\": \"int\"},"
          + "{\"name\": \"str\", \"meta-type\": \"builtin\", \"json-type\": \"string\"},"
          + "{\"name\": \"null\", \"meta-type\": \"builtin\", \"json-type\": \"null\"},"
          + "{\"name\": \"object-add\", \"meta-type\": \"command\", \"arg-type\": \"10\","
          + " \"ret-type\": \"0\"},"
          + "{\"name\": \"10\", \"meta-type\": \"object\", \"tag\": \"qom-type\", \"members\": ["
          + "  {\"name\": \"qom-type\", \"type\": \"11\"}, {\"name\": \"id\", \"type\": \"str\"}],"
          + " \"variants\": [{\"case\": \"a\", \"type\": \"12\"}, {\"case\": \"b\", \"type\": \"13\"},"
          + " {\"case\": \"c\", \"type\": \"10\"}]},"
          + "{\"name\": \"11\", \"meta-type\": \"enum\", \"values\": [\"a\", \"b\", \"c\"]},"
          + "{\"name\": \"12\", \"meta-type\": \"object\", \"members\": [{\"name\": \"policy\","
          + " \"type\": \"14\"}]},"
          + "{\"name\": \"13\", \"meta-type\": \"object\", \"members\": [{\"name\": \"policy\","
          + " \"type\": \"15\"}, {\"name\": \"size\", \"type\": \"int\"}]},"
          + "{\"name\": \"14\", \"meta-type\": \"enum\", \"values\": [\"deny\", \"allow\"]},"
          + "{\"name\": \"15\", \"meta-type\": \"enum\", \"values\": [\"bind\", \"deny\"]},"
          + "{\"name\": \"MIGRATION\", \"meta-type\": \"event\", \"arg-type\": \"0\"}"
          + "]";

  private static QmpSchema schema;

  @BeforeAll
  static void decode() {
    schema =
        Replies.decode(
            CODEC.parse(SCHEMA.getBytes(StandardCharsets.UTF_8)),
            new QueryQmpSchema().replyType(),
            "query-qmp-schema",
            CODEC);
  }

  @Test
  void hasCommandKnowsCommandsOnly() {
    assertThat(schema.hasCommand("migrate-set-parameters")).isTrue();
    assertThat(schema.hasCommand("MIGRATION")).isFalse();
    assertThat(schema.hasCommand("2")).isFalse();
    assertThat(schema.hasCommand("nope")).isFalse();
  }

  @Test
  void enumValuesThroughMaskedNamesListsAndAlternates() {
    assertThat(schema.enumValuesOfArgument("migrate-set-parameters", "mode"))
        .contains(List.of("normal", "cpr-reboot"));
    assertThat(schema.enumValuesOfArgument("migrate-set-parameters", "modes"))
        .contains(List.of("normal", "cpr-reboot"));
    assertThat(schema.enumValuesOfArgument("migrate-set-parameters", "mode-or-null"))
        .contains(List.of("normal", "cpr-reboot"));
    assertThat(schema.enumValuesOfArgument("migrate-set-parameters", "legacy"))
        .as("an enum with values only, as before QEMU 6.2")
        .contains(List.of("old", "older"));
    assertThat(schema.enumValuesOfArgument("migrate-set-parameters", "tls-creds")).isEmpty();
    assertThat(schema.enumValuesOfArgument("migrate-set-parameters", "multifd-channels")).isEmpty();
    assertThat(schema.enumValuesOfArgument("migrate-set-parameters", "nope")).isEmpty();
    assertThat(schema.enumValuesOfArgument("MIGRATION", "status")).isEmpty();
  }

  @Test
  void unionsAnswerTheCommonPartOrEveryBranch() {
    assertThat(schema.enumValuesOfArgument("object-add", "qom-type"))
        .contains(List.of("a", "b", "c"));
    assertThat(schema.enumValuesOfArgument("object-add", "policy"))
        .contains(List.of("deny", "allow", "bind"));
    assertThat(schema.hasArgument("object-add", "size")).isTrue();
    assertThat(schema.hasArgument("object-add", "id")).isTrue();
    assertThat(schema.hasArgument("object-add", "nope")).isFalse();
    assertThat(schema.enumValuesOfArgument("object-add", "size")).isEmpty();
  }

  @Test
  void printsCountsNotTheWholeSchema() {
    assertThat(schema)
        .hasToString("QmpSchema[" + schema.entities().size() + " entities, 2 commands]");
  }
}
