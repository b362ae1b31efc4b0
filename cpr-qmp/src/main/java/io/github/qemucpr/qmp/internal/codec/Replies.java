package io.github.qemucpr.qmp.internal.codec;

import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.QmpCommandException;
import io.github.qemucpr.qmp.QmpCommandNotFoundException;
import io.github.qemucpr.qmp.QmpErrorClass;
import io.github.qemucpr.qmp.QmpGreeting;
import io.github.qemucpr.qmp.QmpProtocolException;
import io.github.qemucpr.qmp.internal.wire.JsonCodec;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/** Decodes greetings, replies and error replies; the one place that maps QMP error classes. */
public final class Replies {
  private Replies() {}

  /**
   * Parses {@code {"QMP": {"version": {"qemu": {...}, "package": ...}, "capabilities": [...]}}}.
   */
  public static QmpGreeting greeting(JsonNode message) {
    JsonNode qmp = message.get("QMP");
    JsonNode version = qmp == null ? null : qmp.get("version");
    if (version == null || !version.isObject()) {
      throw new QmpProtocolException(
          "the greeting is not QMP (no QMP.version member): " + message, null);
    }
    QemuVersion qemu = version(version.get("qemu"));
    JsonNode pkg = version.get("package");
    List<String> capabilities = new ArrayList<>();
    JsonNode caps = qmp.get("capabilities");
    if (caps != null && caps.isArray()) {
      for (JsonNode c : caps) {
        if (c.isString()) {
          capabilities.add(c.stringValue());
        }
      }
    }
    return new QmpGreeting(
        qemu, pkg != null && pkg.isString() ? pkg.stringValue() : "", capabilities);
  }

  /** Parses {@code {"major": ..., "minor": ..., "micro": ...}}. */
  public static QemuVersion version(@Nullable JsonNode qemu) {
    if (qemu == null || !qemu.isObject()) {
      throw new QmpProtocolException("a QEMU version must be an object, got " + qemu, null);
    }
    return new QemuVersion(
        qemu.path("major").asInt(0), qemu.path("minor").asInt(0), qemu.path("micro").asInt(0));
  }

  /** Maps an {@code error} member to the exception for its class. */
  public static QmpCommandException error(String command, JsonNode error) {
    String errorClass = error.path("class").asString("");
    String desc = error.path("desc").asString("(no description)");
    if (QmpErrorClass.fromWireName(errorClass) == QmpErrorClass.COMMAND_NOT_FOUND) {
      return new QmpCommandNotFoundException(command, errorClass, desc);
    }
    return new QmpCommandException(command, errorClass, desc);
  }

  /**
   * Decodes a {@code return} member to {@code type}; {@code null} only when {@code type} is {@code
   * Void.class}, whose only value is {@code null}.
   */
  @SuppressWarnings("unchecked")
  public static <R> @Nullable R decode(
      @Nullable JsonNode value, Type type, String command, JsonCodec codec) {
    if (type == Void.class) {
      return null;
    }
    if (value == null) {
      throw new QmpProtocolException(command + " replied without a return value", null);
    }
    if (type == JsonNode.class) {
      return (R) value;
    }
    R decoded;
    try {
      decoded = codec.decode(value, type);
    } catch (JacksonException e) {
      throw new QmpProtocolException(
          "the reply to "
              + command
              + " does not have the expected shape ("
              + type.getTypeName()
              + "): "
              + e.getOriginalMessage(),
          e);
    }
    // Jackson maps a JSON null to a Java null, which the typed surface never returns.
    if (decoded == null || decoded instanceof List<?> list && containsNull(list)) {
      throw new QmpProtocolException(
          "the reply to "
              + command
              + " does not have the expected shape ("
              + type.getTypeName()
              + "): it is or contains null: "
              + preview(value),
          null);
    }
    return decoded;
  }

  private static boolean containsNull(List<?> list) {
    for (Object element : list) {
      if (element == null) {
        return true;
      }
    }
    return false;
  }

  private static String preview(JsonNode value) {
    String s = value.toString();
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
