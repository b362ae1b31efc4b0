/**
 * The cpr-reboot workflow: {@link io.github.qemucpr.api.CprReboot#save} checks a running QEMU,
 * saves its state to a file and quits it; {@link io.github.qemucpr.api.CprReboot#restore} loads
 * that state into a new QEMU started with {@code -incoming defer}. Every failure after the VM was
 * touched is rolled back, and reported as a {@link io.github.qemucpr.api.CprException}.
 */
@NullMarked
package io.github.qemucpr.api;

import org.jspecify.annotations.NullMarked;
