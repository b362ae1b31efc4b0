package io.github.qemucpr.qapigen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The schema reader on every construct of QAPI's syntax, and the merge of two versions. */
class SchemaTest {

  // Written for this test: the constructs of QAPI's schema language, none of QEMU's text.
  private static final String ROOT =
      "# a comment\n"
          + "{ 'pragma': { 'doc-required': true } }\n"
          + "{ 'include': 'parts.json' }\n"
          + "##\n# @Shape:\n#\n# @round: a value\n#     (since 9.1)\n#\n# Since: 8.0\n##\n"
          + "{ 'enum': 'Shape', 'data': [ 'square', { 'name': 'round', 'if': 'CONFIG_X',"
          + " 'features': [ 'unstable' ] } ] }\n";
  private static final String PARTS =
      "##\n# @Base:\n#\n# @size: bytes (since 9.0)\n#\n# Since: 7.2\n##\n"
          + "{ 'struct': 'Base', 'data': { 'kind': 'Shape', '*size': 'size',\n"
          + "  'old': { 'type': 'str', 'features': [ 'deprecated' ] } } }\n"
          + "{ 'struct': 'Square', 'base': 'Corner', 'data': { 'side': 'int' } }\n"
          + "{ 'struct': 'Corner', 'data': { 'x': 'number' } }\n"
          + "{ 'union': 'Thing', 'base': { 'kind': 'Shape' }, 'discriminator': 'kind',\n"
          + "  'data': { 'square': 'Square', 'round': { 'type': 'Corner', 'if': 'CONFIG_X' } } }\n"
          + "{ 'alternate': 'ThingOrName', 'data': { 'thing': 'Thing', 'name': 'str', 'n': 'null' } }\n"
          + "{ 'command': 'make-thing', 'data': 'Thing', 'boxed': true, 'returns': [ 'Base' ] }\n"
          + "{ 'command': 'drop-thing', 'data': { 'name': 'str', '*force': 'bool' }, 'features': [ 'deprecated' ] }\n"
          + "{ 'event': 'THING_MADE', 'data': { 'name': 'str', '*extra': 'any' } }\n";

  private static Schema read(Path dir) throws Exception {
    Files.writeString(dir.resolve("qapi-schema.json"), ROOT);
    Files.writeString(dir.resolve("parts.json"), PARTS);
    return Schema.readQapi(dir, "9.2.0");
  }

  @Test
  void readsEveryConstruct(@TempDir Path dir) throws Exception {
    Schema s = read(dir);
    Map<String, Schema.Def> d = s.byName();

    assertThat(d.keySet())
        .containsExactly(
            "Base",
            "Square",
            "Corner",
            "Thing",
            "ThingOrName",
            "make-thing",
            "drop-thing",
            "THING_MADE",
            "Shape");
    assertThat(d.get("Base").module()).isEqualTo("parts");
    assertThat(d.get("Base").since()).isEqualTo("7.2");
    assertThat(d.get("Base").members())
        .extracting(
            Schema.Member::name, Schema.Member::optional, Schema.Member::type, Schema.Member::since)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("kind", false, "Shape", null),
            org.assertj.core.groups.Tuple.tuple("size", true, "size", "9.0"),
            org.assertj.core.groups.Tuple.tuple("old", false, "str", null));
    assertThat(d.get("Base").members().get(2).features()).containsExactly("deprecated");
    assertThat(d.get("Shape").values())
        .extracting(Schema.Value::name)
        .containsExactly("square", "round");
    assertThat(d.get("Shape").values().get(1).ifCond()).isEqualTo("CONFIG_X");
    assertThat(d.get("Shape").values().get(1).features()).containsExactly("unstable");
    assertThat(d.get("Shape").values().get(1).since()).isEqualTo("9.1");
    assertThat(d.get("Thing").discriminator()).isEqualTo("kind");
    assertThat(d.get("Thing").branches())
        .extracting(Schema.Branch::value, Schema.Branch::type)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("square", "Square"),
            org.assertj.core.groups.Tuple.tuple("round", "Corner"));
    assertThat(d.get("ThingOrName").alternatives())
        .extracting(Schema.Member::type)
        .containsExactly("Thing", "str", "null");
    assertThat(d.get("make-thing").boxed()).isTrue();
    assertThat(d.get("make-thing").data()).isEqualTo("Thing");
    assertThat(d.get("make-thing").returns()).isEqualTo(List.of("Base"));
    assertThat(d.get("drop-thing").features()).containsExactly("deprecated");
    assertThat(Surface.flatten(d.get("Square"), d))
        .extracting(Schema.Member::name)
        .containsExactly("x", "side");

    // The model round-trips, and holds no comment text.
    String model = s.toJson();
    assertThat(Schema.fromJson(model, "model")).isEqualTo(s);
    assertThat(model).doesNotContain("a value").doesNotContain("bytes").doesNotContain("comment");
  }

  @Test
  void syntaxErrorsNameTheFileAndLine(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("qapi-schema.json"), "{ 'struct': 'A',\n  'data': { 'x' 'int' } }\n");
    assertThatThrownBy(() -> Schema.readQapi(dir, "1.0.0"))
        .hasMessageContaining("qapi-schema.json:2")
        .hasMessageContaining("expected ':'");
  }

  @Test
  void mergeRecordsTheVersionsOfEachPart(@TempDir Path dir) throws Exception {
    Schema old = read(dir);
    String newer =
        PARTS
            .replace("'*size': 'size',", "'*size': 'size', 'colour': 'str',")
            .replace("{ 'command': 'drop-thing'", "{ 'command': 'x-gone'");
    Files.writeString(dir.resolve("parts.json"), newer);
    Files.writeString(
        dir.resolve("qapi-schema.json"), ROOT.replace("'square',", "'square', 'oval',"));
    Schema next = Schema.readQapi(dir, "10.1.0");

    Surface s = Surface.merge(List.of(next, old));

    assertThat(s.versions).containsExactly("9.2", "10.1");
    Surface.Entity base = s.entities.get("Base");
    assertThat(base.versions).containsExactly("9.2", "10.1");
    Surface.Member colour = base.member("colour");
    assertThat(colour.versions).containsExactly("10.1");
    assertThat(colour.optional).as("required in 10.1, absent in 9.2").isTrue();
    assertThat(base.member("kind").optional).isFalse();
    assertThat(s.entities.get("drop-thing").versions).containsExactly("9.2");
    assertThat(s.entities.get("x-gone").versions).containsExactly("10.1");
    assertThat(s.entities.get("Shape").values)
        .extracting(v -> v.name + v.versions)
        .containsExactly("square[9.2, 10.1]", "round[9.2, 10.1]", "oval[10.1]");
  }

  @Test
  void anIntegerOnlyAManualGivesHasAnUnknownWidth(@TempDir Path dir) throws Exception {
    Schema old = read(dir);
    // The manual writes every integer type as 'int': 'size' becomes 'int', and 'count' is new.
    Files.writeString(
        dir.resolve("parts.json"),
        PARTS.replace("'*size': 'size',", "'*size': 'int', 'count': 'int', 'sizes': [ 'int' ],"));
    Schema read = Schema.readQapi(dir, "10.1.0");
    Schema manual = new Schema(read.version(), "reference-manual", read.defs());

    Surface.Entity base = Surface.merge(List.of(old, manual)).entities.get("Base");

    assertThat(base.member("size").type).as("the source's width stays").isEqualTo("size");
    assertThat(base.member("size").widthKnown).isTrue();
    assertThat(base.member("count").widthKnown).as("only the manual has it").isFalse();
    assertThat(base.member("sizes").widthKnown).isFalse();
    Surface.Entity square = Surface.merge(List.of(old, manual)).entities.get("Square");
    assertThat(square.member("side").widthKnown).as("a source says 'int'").isTrue();
  }

  @Test
  void argumentsMovedIntoANamedStructStayMembersWithTheirVersions(@TempDir Path dir)
      throws Exception {
    Schema old = read(dir);
    // As cxl-inject-dram-event did: the same arguments, now as a named struct with one more.
    Files.writeString(
        dir.resolve("parts.json"),
        PARTS.replace(
            "{ 'command': 'drop-thing', 'data': { 'name': 'str', '*force': 'bool' }",
            "{ 'struct': 'DropArgs', 'data': { 'name': 'str', '*force': 'bool', 'reason': 'str' } }\n"
                + "{ 'command': 'drop-thing', 'data': 'DropArgs'"));
    Schema next = Schema.readQapi(dir, "10.1.0");

    Surface.Entity drop = Surface.merge(List.of(old, next)).entities.get("drop-thing");

    assertThat(drop.data).isNull();
    assertThat(drop.members)
        .extracting(m -> m.name + m.versions + (m.optional ? "?" : ""))
        .containsExactly("name[9.2, 10.1]", "force[9.2, 10.1]?", "reason[10.1]?");
    // A union as the arguments stays one value.
    assertThat(Surface.merge(List.of(old, next)).entities.get("make-thing").data)
        .isEqualTo("Thing");
  }
}
