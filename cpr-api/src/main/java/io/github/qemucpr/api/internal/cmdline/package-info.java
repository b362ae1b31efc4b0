/**
 * QEMU's command line as QEMU reads it; shared with the {@code cpr} tool (a qualified export), so
 * that both read a command line the same way.
 */
@NullMarked
package io.github.qemucpr.api.internal.cmdline;

import org.jspecify.annotations.NullMarked;
