/**
 * Typed QMP events. Every event is a {@link io.github.qemucpr.qmp.event.QmpEvent}; events the SDK
 * has no record for arrive as {@link io.github.qemucpr.qmp.event.GenericEvent}.
 */
@NullMarked
package io.github.qemucpr.qmp.event;

import org.jspecify.annotations.NullMarked;
