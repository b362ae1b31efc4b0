package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * {@code qom-get}: reads a property of a QOM object, as JSON since a property can have any type.
 * {@link #as(Class)} decodes it to a Java type instead.
 *
 * <pre>{@code
 * String memPath = qmp.execute(new QomGet("/objects/ram0", "mem-path").as(String.class));
 * boolean shared = qmp.execute(new QomGet("/objects/ram0", "share").as(Boolean.class));
 * }</pre>
 *
 * @param path the object's QOM path, such as {@code /objects/ram0}
 * @param property the property's name
 */
public record QomGet(String path, String property) implements QmpCommand<JsonNode> {
  /** Checks the components. */
  public QomGet {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(property, "property");
  }

  /**
   * The same read, decoded to {@code type}: {@code String}, {@code Boolean}, {@code Long}, or a
   * record for a structured property.
   */
  public <T> As<T> as(Class<T> type) {
    return new As<>(path, property, type);
  }

  @Override
  public String name() {
    return "qom-get";
  }

  @Override
  public Map<String, ?> arguments() {
    return Args.builder().put("path", path).put("property", property).build();
  }

  @Override
  public Type replyType() {
    return JsonNode.class;
  }

  /**
   * {@code qom-get} with the value decoded to a Java type.
   *
   * @param path the object's QOM path
   * @param property the property's name
   * @param type the type the value decodes to
   * @param <T> the value's type
   */
  public record As<T>(String path, String property, Class<T> type) implements QmpCommand<T> {
    /** Checks the components. */
    public As {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(property, "property");
      Objects.requireNonNull(type, "type");
    }

    @Override
    public String name() {
      return "qom-get";
    }

    @Override
    public Map<String, ?> arguments() {
      return Args.builder().put("path", path).put("property", property).build();
    }

    @Override
    public Type replyType() {
      return type;
    }
  }
}
