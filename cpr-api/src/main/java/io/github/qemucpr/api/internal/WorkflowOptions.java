package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprProgressListener;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** What every workflow's options have: its limits and its listener. */
public interface WorkflowOptions {

  /** The most the whole operation may take. */
  Duration timeout();

  /** The most one phase may take. */
  Duration phaseTimeout();

  /** Who hears of the phases, if anyone. */
  @Nullable CprProgressListener listener();
}
