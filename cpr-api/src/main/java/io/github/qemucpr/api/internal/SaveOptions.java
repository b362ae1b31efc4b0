package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprProgressListener;
import io.github.qemucpr.api.SuspendPolicy;
import io.github.qemucpr.qga.GuestAgentClient;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** The options of a save, as the builder collected them. */
public record SaveOptions(
    Path target,
    @Nullable GuestAgentClient agent,
    SuspendPolicy suspendPolicy,
    boolean requireMemorySavedInPlace,
    boolean quitAfterSave,
    Duration timeout,
    Duration phaseTimeout,
    Duration suspendTimeout,
    boolean passFileDescriptor,
    @Nullable CprProgressListener listener)
    implements WorkflowOptions {}
