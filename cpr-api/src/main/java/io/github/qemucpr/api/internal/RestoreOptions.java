package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprProgressListener;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** The options of a restore, as the builder collected them. */
public record RestoreOptions(
    Path source,
    boolean force,
    boolean wakeUpAfterRestore,
    Duration timeout,
    Duration phaseTimeout,
    boolean passFileDescriptor,
    @Nullable CprProgressListener listener)
    implements WorkflowOptions {}
