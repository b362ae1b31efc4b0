package io.github.qemucpr.qga.internal;

import io.github.qemucpr.qga.GuestAgentCommand;
import io.github.qemucpr.qga.GuestAgentCommandException;
import io.github.qemucpr.qga.GuestAgentCommandUnavailableException;
import io.github.qemucpr.qga.GuestAgentProtocolException;
import io.github.qemucpr.qmp.internal.wire.JsonCodec;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The agent's JSON: encoding requests (with the 0xFF that starts a resync), parsing and decoding
 * replies, matching them to request ids, and the one mapping of the agent's error classes to
 * exceptions.
 */
final class AgentCodec {

  private static final JsonCodec CODEC = new JsonCodec(new QgaJsonModule());

  private AgentCodec() {}

  static JsonNode encodeArguments(GuestAgentCommand<?> command) {
    Map<String, ?> arguments = command.arguments();
    if (arguments.isEmpty()) {
      return CODEC.objectNode();
    }
    try {
      return CODEC.toTree(arguments);
    } catch (JacksonException e) {
      throw new IllegalArgumentException(
          "the arguments of " + command.name() + " cannot be encoded as JSON: " + e.getMessage(),
          e);
    }
  }

  static ObjectNode syncArguments(long id) {
    ObjectNode arguments = CODEC.objectNode();
    arguments.put("id", id);
    return arguments;
  }

  static byte[] encodeRequest(
      String name, @Nullable JsonNode arguments, @Nullable Long id, boolean delimiterFirst) {
    ObjectNode request = CODEC.objectNode();
    request.put("execute", name);
    if (arguments != null && !arguments.isEmpty()) {
      request.set("arguments", arguments);
    }
    if (id != null) {
      request.put("id", id);
    }
    byte[] json = CODEC.encode(request);
    int offset = delimiterFirst ? 1 : 0;
    byte[] bytes = new byte[offset + json.length + 1];
    if (delimiterFirst) {
      bytes[0] = AgentFrames.DELIMITER;
    }
    System.arraycopy(json, 0, bytes, offset, json.length);
    bytes[bytes.length - 1] = '\n';
    return bytes;
  }

  static @Nullable JsonNode parse(byte[] line) {
    try {
      return CODEC.parse(line);
    } catch (JacksonException e) {
      return null;
    }
  }

  /** Whether {@code message} answers request {@code id}; an answer without an id counts. */
  static boolean hasId(JsonNode message, long id) {
    JsonNode replyId = message.get("id");
    return replyId == null || (isLong(replyId) && replyId.longValue() == id);
  }

  static boolean isSyncAnswer(JsonNode message, long id) {
    JsonNode value = message.get("return");
    return value != null && isLong(value) && value.longValue() == id;
  }

  /** An integer that fits a long: {@code longValue()} throws for a larger one. */
  private static boolean isLong(JsonNode node) {
    return node.isIntegralNumber() && node.canConvertToLong();
  }

  /** The reply value of {@code name} from the agent at {@code peer} as {@code type}. */
  @SuppressWarnings("unchecked")
  static <R> R decode(@Nullable JsonNode value, Type type, String name, String peer) {
    if (type == Void.class) {
      return null;
    }
    if (value == null || value.isNull()) {
      throw new GuestAgentProtocolException(
          "the guest agent at " + peer + " answered " + name + " without a return value", null);
    }
    if (type == JsonNode.class) {
      return (R) value;
    }
    try {
      R decoded = CODEC.decode(value, type);
      if (decoded == null) {
        throw new GuestAgentProtocolException(
            "the reply to " + name + " decoded to nothing: " + value, null);
      }
      return decoded;
    } catch (JacksonException e) {
      throw new GuestAgentProtocolException(
          "the reply to "
              + name
              + " does not have the expected shape ("
              + type.getTypeName()
              + "): "
              + e.getOriginalMessage(),
          e);
    }
  }

  /** The one place that maps the agent's error classes. */
  static GuestAgentCommandException error(String command, JsonNode error) {
    String errorClass = error.path("class").asString("");
    String description = error.path("desc").asString("(no description)");
    if (errorClass.equals("CommandNotFound") || description.contains("has been disabled")) {
      return new GuestAgentCommandUnavailableException(command, errorClass, description);
    }
    return new GuestAgentCommandException(command, errorClass, description);
  }

  static long randomId() {
    // Positive and below 2^53, so that any JSON implementation keeps it exact.
    return ThreadLocalRandom.current().nextLong(1, 1L << 53);
  }
}
