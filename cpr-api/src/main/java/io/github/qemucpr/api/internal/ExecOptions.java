package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprProgressListener;
import io.github.qemucpr.qga.GuestAgentClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The options of a cpr-exec, as the builder collected them.
 *
 * @param newCommand the new QEMU's command line, binary first, without {@code -incoming}
 * @param stateFile where the device state goes, a new file
 * @param agent the guest agent to suspend the guest with first, or {@code null} not to
 * @param wakeUp whether to wake a guest that was suspended for the exec
 */
public record ExecOptions(
    List<String> newCommand,
    Path stateFile,
    Duration timeout,
    Duration phaseTimeout,
    Duration reconnectTimeout,
    @Nullable GuestAgentClient agent,
    boolean wakeUp,
    @Nullable CprProgressListener listener)
    implements WorkflowOptions {}
