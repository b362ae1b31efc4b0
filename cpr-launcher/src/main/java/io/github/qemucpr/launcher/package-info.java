/**
 * {@link io.github.qemucpr.launcher.QemuLauncher} describes a VM and starts it as a {@link
 * io.github.qemucpr.launcher.QemuInstance}. The little Linux guest that the tests and the demo boot
 * is found (or built) by cpr-testing's {@code TestGuestImage}.
 */
@NullMarked
package io.github.qemucpr.launcher;

import org.jspecify.annotations.NullMarked;
