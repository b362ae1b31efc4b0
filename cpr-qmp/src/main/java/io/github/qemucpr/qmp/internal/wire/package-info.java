/**
 * The byte level, shared by the QMP and guest agent clients: transports (Unix socket with
 * descriptor passing, TCP), newline framing with a size limit, and the JSON codec. It knows nothing
 * of commands. Exported only to {@code io.github.qemucpr.qga}.
 */
@NullMarked
package io.github.qemucpr.qmp.internal.wire;

import org.jspecify.annotations.NullMarked;
