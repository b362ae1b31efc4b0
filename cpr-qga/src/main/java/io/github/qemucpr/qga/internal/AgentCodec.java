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
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
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

  /**
   * What a command is given of the agent's reply as a tree at most, in JSON tokens: a tree of small
   * values takes up to about 100 bytes a token, many times its text, so a reply is read as a stream
   * first ({@link #scan}) and its value is built only when a command takes it and it is no larger
   * than this. The agent's largest replies (a list of file systems or network interfaces) hold a
   * few thousand.
   */
  static final long MAX_REPLY_TOKENS = 65_536;

  /**
   * What matters of one line from the agent, read as a stream without building its tree: a line of
   * small values just under the message limit would take some 30 times its size as a tree, and most
   * lines (stale replies, sync answers, replies to commands that return nothing) need no tree at
   * all.
   */
  static final class Reply {
    private boolean hasId;
    private boolean idIsLong;
    private long id;
    private boolean hasReturn;
    private boolean returnIsNull;
    private boolean returnIsLong;
    private long returnLong;
    private int returnOffset;
    private long returnTokens;

    /** The return value when it is a scalar, as a scalar is built as it is read. */
    private @Nullable JsonNode scalarReturn;

    private boolean hasError;
    private String errorClass = "";
    private String errorDescription = "(no description)";

    private Reply() {}

    /** Whether this answers request {@code request}; an answer without an id counts. */
    boolean answers(long request) {
      return !hasId || (idIsLong && id == request);
    }

    /** Whether this is the answer of {@code guest-sync-delimited} with {@code sync}. */
    boolean isSyncAnswer(long sync) {
      return returnIsLong && returnLong == sync;
    }

    boolean hasError() {
      return hasError;
    }

    boolean hasReturn() {
      return hasReturn;
    }
  }

  /**
   * Reads one line as a stream: its id, its error's class and description, and where its return
   * value is; {@code null} if it is not a JSON object.
   */
  static @Nullable Reply scan(byte[] line) {
    try (JsonParser p = CODEC.parser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      Reply reply = new Reply();
      for (JsonToken t = p.nextToken(); t == JsonToken.PROPERTY_NAME; t = p.nextToken()) {
        String property = p.currentName();
        JsonToken value = p.nextToken();
        if (value == null) {
          return null;
        }
        switch (property) {
          case "id" -> {
            reply.hasId = true;
            reply.idIsLong = isLong(p, value);
            if (reply.idIsLong) {
              reply.id = p.getLongValue();
            }
            p.skipChildren();
          }
          case "return" -> {
            reply.hasReturn = true;
            reply.returnIsNull = value == JsonToken.VALUE_NULL;
            reply.returnIsLong = isLong(p, value);
            if (reply.returnIsLong) {
              reply.returnLong = p.getLongValue();
            }
            reply.returnOffset = (int) p.currentTokenLocation().getByteOffset();
            reply.scalarReturn = value.isStructStart() ? null : p.readValueAsTree();
            reply.returnTokens = countValue(p, value);
          }
          case "error" -> {
            reply.hasError = true;
            readError(p, value, reply);
          }
          default -> p.skipChildren();
        }
      }
      return reply;
    } catch (JacksonException e) {
      return null;
    }
  }

  /** Reads the {@code class} and {@code desc} of an error, skipping the rest. */
  private static void readError(JsonParser p, JsonToken value, Reply reply) {
    if (value != JsonToken.START_OBJECT) {
      p.skipChildren();
      return;
    }
    for (JsonToken t = p.nextToken(); t == JsonToken.PROPERTY_NAME; t = p.nextToken()) {
      String property = p.currentName();
      JsonToken v = p.nextToken();
      if (v != null && v.isScalarValue() && v != JsonToken.VALUE_NULL) {
        if (property.equals("class")) {
          reply.errorClass = p.getString();
        } else if (property.equals("desc")) {
          reply.errorDescription = p.getString();
        }
      } else {
        p.skipChildren();
      }
    }
  }

  /** Reads past the value that starts with {@code first}, counting its tokens. */
  private static long countValue(JsonParser p, JsonToken first) {
    long tokens = 1;
    int depth = first.isStructStart() ? 1 : 0;
    while (depth > 0) {
      JsonToken t = p.nextToken();
      if (t == null) {
        break; // the parser reports an early end itself
      }
      tokens++;
      if (t.isStructStart()) {
        depth++;
      } else if (t.isStructEnd()) {
        depth--;
      }
    }
    return tokens;
  }

  /** An integer that fits a long. */
  private static boolean isLong(JsonParser p, JsonToken value) {
    return value == JsonToken.VALUE_NUMBER_INT
        && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER;
  }

  /**
   * The return value of {@code reply} (from {@code line}) for {@code name} as {@code type}; built
   * as a tree only for a type other than {@code Void}, and only if it holds no more than {@link
   * #MAX_REPLY_TOKENS}. {@code null} only for {@code Void}, whose only value is {@code null}.
   */
  static <R> @Nullable R decode(Reply reply, byte[] line, Type type, String name, String peer) {
    if (type == Void.class) {
      return null;
    }
    if (!reply.hasReturn || reply.returnIsNull) {
      throw new GuestAgentProtocolException(
          "the guest agent at " + peer + " answered " + name + " without a return value", null);
    }
    if (reply.returnTokens > MAX_REPLY_TOKENS) {
      throw new GuestAgentProtocolException(
          "the guest agent at "
              + peer
              + " answered "
              + name
              + " with a value of "
              + reply.returnTokens
              + " JSON tokens, more than the "
              + MAX_REPLY_TOKENS
              + " a reply may hold; it was not decoded, to protect memory",
          null);
    }
    JsonNode value = reply.scalarReturn;
    try {
      if (value == null) {
        value = CODEC.parseValue(line, reply.returnOffset, line.length - reply.returnOffset);
      }
    } catch (JacksonException e) {
      throw new GuestAgentProtocolException(
          "the guest agent at "
              + peer
              + " answered "
              + name
              + " with malformed JSON: "
              + e.getOriginalMessage(),
          e);
    }
    return decode(value, type, name, peer);
  }

  /** The reply value of {@code name} from the agent at {@code peer} as {@code type}. */
  @SuppressWarnings("unchecked")
  private static <R> R decode(JsonNode value, Type type, String name, String peer) {
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
  static GuestAgentCommandException error(String command, Reply reply) {
    String errorClass = reply.errorClass;
    String description = reply.errorDescription;
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
