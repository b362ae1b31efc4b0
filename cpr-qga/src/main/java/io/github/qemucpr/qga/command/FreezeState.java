package io.github.qemucpr.qga.command;

import java.util.Objects;

/**
 * The reply to {@link GuestFsfreezeStatus}. An open set: a state this SDK does not know is kept as
 * it came.
 *
 * @param wireName the state as the agent spells it, such as {@code thawed}
 */
public record FreezeState(String wireName) {
  /** The file systems are not frozen. */
  public static final FreezeState THAWED = new FreezeState("thawed");

  /** Every freezable local file system is frozen. */
  public static final FreezeState FROZEN = new FreezeState("frozen");

  /** Checks the name. */
  public FreezeState {
    Objects.requireNonNull(wireName, "wireName");
  }

  /** The state with this name, known or not. */
  public static FreezeState of(String wireName) {
    return new FreezeState(wireName);
  }

  @Override
  public String toString() {
    return wireName;
  }
}
