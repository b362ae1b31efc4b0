package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code qom-list}: the properties of a QOM object, such as {@code /objects/ram0} or {@code
 * /machine}. Children show as properties of type {@code child<...>}.
 *
 * @param path the object's QOM path
 */
public record QomList(String path) implements QmpCommand<List<ObjectPropertyInfo>> {
  /** Checks the path. */
  public QomList {
    Objects.requireNonNull(path, "path");
  }

  @Override
  public String name() {
    return "qom-list";
  }

  @Override
  public Map<String, ?> arguments() {
    return Args.builder().put("path", path).build();
  }

  @Override
  public Type replyType() {
    return ReplyTypes.listOf(ObjectPropertyInfo.class);
  }
}
