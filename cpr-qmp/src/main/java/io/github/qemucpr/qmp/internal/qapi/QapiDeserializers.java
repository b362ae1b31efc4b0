package io.github.qemucpr.qmp.internal.qapi;

import java.lang.reflect.Type;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.TokenStreamContext;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.deser.Deserializers;
import tools.jackson.databind.jsontype.TypeDeserializer;
import tools.jackson.databind.node.TreeTraversingParser;
import tools.jackson.databind.type.CollectionType;

/**
 * Lets the wire codec decode replies to the generated QAPI types through {@link QapiCodec}. Asked
 * for a class, it answers by the class's package alone, so that registering it loads nothing of the
 * generated surface.
 */
public final class QapiDeserializers extends Deserializers.Base {

  @Override
  public @Nullable ValueDeserializer<?> findBeanDeserializer(
      JavaType type, DeserializationConfig config, BeanDescription.Supplier beanDescRef) {
    Class<?> raw = type.getRawClass();
    return generated(raw) ? new Deserializer(raw, raw) : null;
  }

  @Override
  public @Nullable ValueDeserializer<?> findCollectionDeserializer(
      CollectionType type,
      DeserializationConfig config,
      BeanDescription.Supplier beanDescRef,
      @Nullable TypeDeserializer elementTypeDeserializer,
      @Nullable ValueDeserializer<?> elementDeserializer) {
    // A reply that is a list of generated values (query-cpus-fast): decoded whole, by the codec.
    Class<?> element = type.getContentType().getRawClass();
    return type.getRawClass() == List.class && generated(element)
        ? new Deserializer(QapiCodec.listOf(element), List.class)
        : null;
  }

  @Override
  public boolean hasDeserializerFor(DeserializationConfig config, Class<?> valueType) {
    return generated(valueType);
  }

  /** By name alone: looking at a hand-written type must not load the codec. */
  private static boolean generated(Class<?> type) {
    return type.getPackageName().startsWith("io.github.qemucpr.qmp.qapi.")
        && QapiCodec.handles(type);
  }

  private static final class Deserializer extends ValueDeserializer<Object> {
    private final Type type;
    private final Class<?> raw;

    Deserializer(Type type, Class<?> raw) {
      this.type = type;
      this.raw = raw;
    }

    @Override
    public @Nullable Object deserialize(JsonParser p, DeserializationContext ctxt) {
      JsonNode tree = rootOf(p);
      if (tree == null) {
        tree = ctxt.readTree(p);
      } else {
        // The reply is already a tree (the client decodes from one): use it, do not copy it.
        p.skipChildren();
      }
      try {
        return QapiCodec.decode(tree, type);
      } catch (QapiCodec.DecodeException e) {
        return ctxt.reportInputMismatch(raw, "%s", e.getMessage());
      }
    }

    /** The tree under the parser when the parser stands on its root value; else null. */
    private static @Nullable JsonNode rootOf(JsonParser p) {
      if (!(p instanceof TreeTraversingParser t)) {
        return null;
      }
      JsonNode source = t.streamReadInputSource();
      TokenStreamContext ctx = p.streamReadContext();
      boolean atRoot =
          source.isContainer()
              ? ctx.getParent() != null
                  && ctx.getParent().inRoot()
                  && (p.currentToken() == JsonToken.START_OBJECT
                      ? source.isObject()
                      : p.currentToken() == JsonToken.START_ARRAY && source.isArray())
              : ctx.inRoot();
      return atRoot ? source : null;
    }
  }
}
