package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprProgressListener;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** The options of a cpr-transfer, as the builder collected them. */
public record TransferOptions(
    Path cprChannel,
    Path mainChannel,
    Path targetQmp,
    Duration timeout,
    Duration phaseTimeout,
    Duration targetConnectTimeout,
    boolean quitSource,
    @Nullable CprProgressListener listener)
    implements WorkflowOptions {}
