package io.github.qemucpr.qmp.internal.qapi;

import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.deser.Deserializers;

/**
 * Lets the wire codec decode replies to the generated QAPI types through {@link QapiCodec}. Asked
 * for a class, it answers by the class's package alone, so that registering it loads nothing of
 * the generated surface.
 */
public final class QapiDeserializers extends Deserializers.Base {

  @Override
  public @Nullable ValueDeserializer<?> findBeanDeserializer(
      JavaType type, DeserializationConfig config, BeanDescription.Supplier beanDescRef) {
    Class<?> raw = type.getRawClass();
    return generated(raw) ? new Deserializer(raw) : null;
  }

  @Override
  public boolean hasDeserializerFor(DeserializationConfig config, Class<?> valueType) {
    return generated(valueType);
  }

  /** By name alone: looking at a hand-written type must not load the codec. */
  private static boolean generated(Class<?> type) {
    return type.getPackageName().startsWith("io.github.qemucpr.qmp.qapi.") && QapiCodec.handles(type);
  }

  private static final class Deserializer extends ValueDeserializer<Object> {
    private final Class<?> type;

    Deserializer(Class<?> type) {
      this.type = type;
    }

    @Override
    public @Nullable Object deserialize(JsonParser p, DeserializationContext ctxt) {
      JsonNode tree = ctxt.readTree(p);
      try {
        return QapiCodec.decode(tree, type);
      } catch (QapiCodec.DecodeException e) {
        return ctxt.reportInputMismatch(type, "%s", e.getMessage());
      }
    }
  }
}
