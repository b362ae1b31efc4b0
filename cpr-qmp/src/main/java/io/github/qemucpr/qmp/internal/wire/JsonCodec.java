package io.github.qemucpr.qmp.internal.wire;

import java.lang.reflect.Type;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.JacksonModule;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * JSON encoding and decoding for QMP and the guest agent. Decoding is tolerant: unknown fields are
 * ignored, and QMP's kebab-case names map onto camel-case record components. Thread-safe.
 */
public final class JsonCodec {

  private final JsonMapper mapper;

  /** A codec with the given extra modules, for example (de)serializers of open enums. */
  public JsonCodec(JacksonModule... modules) {
    this.mapper =
        JsonMapper.builder()
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
