package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code migrate-set-capabilities}: turns migration capabilities on or off. Capabilities not listed
 * keep their state.
 *
 * <pre>{@code
 * qmp.execute(MigrateSetCapabilities.enable(MigrationCapability.EVENTS, MigrationCapability.X_IGNORE_SHARED));
 * }</pre>
 *
 * @param capabilities the capabilities to set, in order; not empty
 */
public record MigrateSetCapabilities(List<MigrationCapabilityStatus> capabilities)
    implements QmpCommand<Void> {

  /** Checks and copies the list. */
  public MigrateSetCapabilities {
    capabilities = List.copyOf(capabilities);
    if (capabilities.isEmpty()) {
      throw new IllegalArgumentException("capabilities must not be empty");
    }
  }

  /** Sets each capability of the map to its value, in the map's iteration order. */
  public static MigrateSetCapabilities of(Map<MigrationCapability, Boolean> states) {
    Objects.requireNonNull(states, "states");
    List<MigrationCapabilityStatus> list = new ArrayList<>();
    states.forEach((c, on) -> list.add(new MigrationCapabilityStatus(c, on)));
    return new MigrateSetCapabilities(list);
  }

  /** Turns the capabilities on. */
  public static MigrateSetCapabilities enable(MigrationCapability... capabilities) {
    return withState(true, capabilities);
  }

  /** Turns the capabilities off. */
  public static MigrateSetCapabilities disable(MigrationCapability... capabilities) {
    return withState(false, capabilities);
  }

  private static MigrateSetCapabilities withState(boolean on, MigrationCapability... capabilities) {
    List<MigrationCapabilityStatus> list = new ArrayList<>();
    for (MigrationCapability c : capabilities) {
      list.add(new MigrationCapabilityStatus(c, on));
    }
    return new MigrateSetCapabilities(list);
  }

  @Override
  public String name() {
    return "migrate-set-capabilities";
  }

  @Override
  public Map<String, ?> arguments() {
    List<Map<String, Object>> wire = new ArrayList<>();
    for (MigrationCapabilityStatus c : capabilities) {
      wire.add(
          Args.builder()
              .put("capability", c.capability().wireName())
              .put("state", c.state())
              .build());
    }
    return Args.builder().put("capabilities", List.copyOf(wire)).build();
  }

  @Override
  public Type replyType() {
    return Void.class;
  }
}
