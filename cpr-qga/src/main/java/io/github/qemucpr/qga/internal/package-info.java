/**
 * The guest agent protocol engine behind {@link io.github.qemucpr.qga.GuestAgentClient}: the reader
 * thread that splits the agent's stream at newlines and 0xFF delimiters, the resynchronization, the
 * handling of commands that never reply, and reply decoding. Not exported.
 */
@NullMarked
package io.github.qemucpr.qga.internal;

import org.jspecify.annotations.NullMarked;
