package io.github.qemucpr.qga.internal;

import io.github.qemucpr.qga.command.AgentCommandInfo;
import io.github.qemucpr.qga.command.AgentInfo;
import io.github.qemucpr.qga.command.ExecStatus;
import io.github.qemucpr.qga.command.FreezeState;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.module.SimpleModule;

/**
 * Teaches the shared codec (which maps kebab-case names onto record components) the replies whose
 * names do not follow that rule: {@code supported_commands} in {@code guest-info}, {@code exitcode}
 * in {@code guest-exec-status}, and the open enum {@link FreezeState}.
 */
final class QgaJsonModule extends SimpleModule {
  private static final long serialVersionUID = 1L;

  QgaJsonModule() {
    super("qemu-cpr-qga");
    addDeserializer(
        AgentInfo.class, new TreeDeserializer<>(AgentInfo.class, QgaJsonModule::agentInfo));
    addDeserializer(
        ExecStatus.class, new TreeDeserializer<>(ExecStatus.class, QgaJsonModule::execStatus));
    addDeserializer(
        FreezeState.class,
        new ValueDeserializer<FreezeState>() {
          @Override
          public FreezeState deserialize(JsonParser p, DeserializationContext ctxt) {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
              return ctxt.reportInputMismatch(
                  FreezeState.class, "expected a string for FreezeState, got %s", p.currentToken());
            }
            return FreezeState.of(p.getString());
          }
        });
  }

  private static AgentInfo agentInfo(JsonNode node) {
    List<AgentCommandInfo> commands = new ArrayList<>();
    JsonNode list = node.path("supported_commands");
    if (list.isMissingNode()) {
      list = node.path("supported-commands");
    }
    for (JsonNode c : list) {
      commands.add(
          new AgentCommandInfo(
              requireString(c, "name"),
              c.path("enabled").asBoolean(false),
              c.path("success-response").asBoolean(true)));
    }
    return new AgentInfo(requireString(node, "version"), commands);
  }

  private static ExecStatus execStatus(JsonNode node) {
    if (!node.path("exited").isBoolean()) {
      throw new IllegalArgumentException("no boolean member exited");
    }
    ExecStatus status =
        new ExecStatus(
            node.path("exited").booleanValue(),
            optionalInt(node, "exitcode"),
            optionalInt(node, "signal"),
            optionalString(node, "out-data"),
            optionalString(node, "err-data"),
            node.path("out-truncated").asBoolean(false),
            node.path("err-truncated").asBoolean(false));
    // Bad base64 is the agent's error: report it here, as a mismatch, rather than as an
    // IllegalArgumentException from stdout() or run() later.
    try {
      status.stdout();
      status.stderr();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "out-data or err-data is not base64: " + e.getMessage(), e);
    }
    return status;
  }

  private static String requireString(JsonNode node, String member) {
    JsonNode value = node.get(member);
    if (value == null || !value.isString()) {
      throw new IllegalArgumentException("no string member " + member);
    }
    return value.stringValue();
  }

  private static @Nullable String optionalString(JsonNode node, String member) {
    JsonNode value = node.get(member);
    return value != null && value.isString() ? value.stringValue() : null;
  }

  private static @Nullable Integer optionalInt(JsonNode node, String member) {
    JsonNode value = node.get(member);
    return value != null && value.canConvertToInt() ? value.intValue() : null;
  }

  /** Reads a tree and builds the value by hand; a shape error becomes a Jackson mismatch. */
  private static final class TreeDeserializer<T> extends ValueDeserializer<T> {
    private final Class<T> type;
    private final java.util.function.Function<JsonNode, T> build;

    TreeDeserializer(Class<T> type, java.util.function.Function<JsonNode, T> build) {
      this.type = type;
      this.build = build;
    }

    @Override
    public T deserialize(JsonParser p, DeserializationContext ctxt) {
      JsonNode node = ctxt.readTree(p);
      if (!node.isObject()) {
        return ctxt.reportInputMismatch(type, "expected an object for %s", type.getSimpleName());
      }
      try {
        return build.apply(node);
      } catch (IllegalArgumentException | NullPointerException e) {
        return ctxt.reportInputMismatch(type, "%s: %s", type.getSimpleName(), e.getMessage());
      }
    }
  }
}
