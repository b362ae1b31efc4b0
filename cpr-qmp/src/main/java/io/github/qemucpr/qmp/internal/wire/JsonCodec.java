package io.github.qemucpr.qmp.internal.wire;

import java.lang.reflect.Type;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JacksonModule;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.MissingNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * JSON encoding and decoding for QMP and the guest agent. Decoding is tolerant: unknown fields are
 * ignored, and QMP's kebab-case names map onto camel-case record components. Thread-safe.
 */
public final class JsonCodec {

  private final JsonMapper mapper;

  /**
   * An estimate of the heap one JSON token takes at most once parsed into a tree, beyond its text:
   * a node object, an object's entry or an array's slot with its growth, a string's or a big
   * number's object headers. The worst cases are small values ({@code {}}, {@code ""}, a long
   * integer) at about 60 to 90 bytes each, with compressed object pointers.
   */
  public static final int TREE_BYTES_PER_TOKEN = 128;

  /** A codec with the given extra modules, for example (de)serializers of open enums. */
  public JsonCodec(JacksonModule... modules) {
    // A token limit no message reaches, only so that parsers count tokens (see parseCounted).
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder().maxTokenCount(Long.MAX_VALUE).build())
            .build();
    this.mapper =
        JsonMapper.builder(factory)
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.FAIL_ON_MISSING_EXTERNAL_TYPE_ID_PROPERTY)
            .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .addModules(modules)
            .build();
  }

  /** Parses one message. */
  public JsonNode parse(byte[] bytes) throws JacksonException {
    return mapper.readTree(bytes);
  }

  /**
   * Parses the object or array that starts at {@code offset} (one value inside a message); what
   * follows it in the {@code length} bytes is ignored. Not for a number, which the parser would
   * want followed by a space.
   */
  public JsonNode parseValue(byte[] bytes, int offset, int length) throws JacksonException {
    return mapper
        .reader()
        .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .readTree(bytes, offset, length);
  }

  /** A parsed message and how many JSON tokens it holds. */
  public record Parsed(JsonNode tree, long tokens) {

    /**
     * At most what the tree can take of the heap, {@code messageBytes} being the length of its
     * text: {@link #TREE_BYTES_PER_TOKEN} a token, plus twice the text for the characters of its
     * strings (a string with one character beyond Latin-1 takes two bytes a character).
     */
    public long heapBound(long messageBytes) {
      return 2 * messageBytes + tokens * TREE_BYTES_PER_TOKEN;
    }
  }

  /** Parses one message, counting its tokens. */
  public Parsed parseCounted(byte[] bytes) throws JacksonException {
    try (JsonParser parser = mapper.createParser(bytes)) {
      JsonNode tree = mapper.readTree(parser);
      return new Parsed(
          tree != null ? tree : MissingNode.getInstance(), parser.currentTokenCount());
    }
  }

  /** A streaming parser over {@code bytes}, for reading a message without building its tree. */
  public JsonParser parser(byte[] bytes) throws JacksonException {
    return mapper.createParser(bytes);
  }

  /** Encodes a message as compact JSON, without the trailing newline. */
  public byte[] encode(Object value) throws JacksonException {
    return mapper.writeValueAsBytes(value);
  }

  /** Converts a parsed value to {@code type} (a class or a parameterized type). */
  public <T> T decode(JsonNode node, Type type) throws JacksonException {
    JavaType javaType = mapper.getTypeFactory().constructType(type);
    return mapper.treeToValue(node, javaType);
  }

  /** Converts a plain Java value (maps, lists, strings, numbers, records) to a JSON tree. */
  public JsonNode toTree(Object value) throws JacksonException {
    return mapper.valueToTree(value);
  }

  /** A new, empty JSON object. */
  public ObjectNode objectNode() {
    return JsonNodeFactory.instance.objectNode();
  }
}
