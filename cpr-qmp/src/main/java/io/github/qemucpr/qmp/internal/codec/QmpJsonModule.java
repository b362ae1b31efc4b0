package io.github.qemucpr.qmp.internal.codec;

import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.command.RunState;
import java.util.function.Function;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.module.SimpleModule;

/**
 * Teaches the codec the SDK's value types: the open enums (records holding QEMU's spelling, so that
 * a value a newer QEMU adds is kept, not rejected) and replies whose names Java cannot spell.
 */
public final class QmpJsonModule extends SimpleModule {
  private static final long serialVersionUID = 1L;

  /** Registers every value type. */
  public QmpJsonModule() {
    super("qemu-cpr-qmp");
    openEnum(MigrationStatus.class, MigrationStatus::of, MigrationStatus::wireName);
    openEnum(RunState.class, RunState::of, RunState::wireName);
    OpenEnums.register(this);
  }

  @Override
  public void setupModule(SetupContext context) {
    super.setupModule(context);
    // The generated QAPI surface decodes through its own codec; this loads none of it.
    context.addDeserializers(new io.github.qemucpr.qmp.internal.qapi.QapiDeserializers());
  }

  /** Maps an open enum to and from its JSON string. */
  public <T> void openEnum(Class<T> type, Function<String, T> parse, Function<T, String> name) {
    addDeserializer(
        type,
        new ValueDeserializer<T>() {
          @Override
          public T deserialize(JsonParser p, DeserializationContext ctxt) {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
              return ctxt.reportInputMismatch(
                  type, "expected a string for %s, got %s", type.getSimpleName(), p.currentToken());
            }
            return parse.apply(p.getString());
          }
        });
    addSerializer(
        type,
        new ValueSerializer<T>() {
          @Override
          public void serialize(T value, JsonGenerator gen, SerializationContext ctxt) {
            gen.writeString(name.apply(value));
          }
        });
  }
}
