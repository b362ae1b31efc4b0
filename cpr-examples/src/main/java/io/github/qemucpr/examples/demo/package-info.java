/**
 * The demo behind {@code scripts/demo.sh} and {@code cpr demo}: a Linux guest that keeps running
 * across a cpr-reboot save, a QEMU restart and a restore, shown with its boot id, its heartbeat and
 * a timeline of the blackout.
 */
@NullMarked
package io.github.qemucpr.examples.demo;

import org.jspecify.annotations.NullMarked;
