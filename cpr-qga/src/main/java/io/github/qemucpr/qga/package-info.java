/**
 * The QEMU guest agent client. Start with {@link io.github.qemucpr.qga.GuestAgentClient}; typed
 * commands and replies live in {@link io.github.qemucpr.qga.command}, and every failure is a {@link
 * io.github.qemucpr.qga.GuestAgentException}.
 */
@NullMarked
package io.github.qemucpr.qga;

import org.jspecify.annotations.NullMarked;
