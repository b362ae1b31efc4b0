/**
 * The QMP protocol engine: greeting and capability negotiation, request ids, the pending-request
 * table, the reader thread, event dispatch and timeouts. What the JSON means (the typed replies and
 * events) is the codec's, in {@code internal.codec}. Not exported.
 */
@NullMarked
package io.github.qemucpr.qmp.internal.protocol;

import org.jspecify.annotations.NullMarked;
