/**
 * {@link io.github.qemucpr.launcher.QemuLauncher} describes a VM and starts it as a {@link
 * io.github.qemucpr.launcher.QemuInstance}; {@link io.github.qemucpr.launcher.TestGuestImage} finds
 * or builds the little Linux guest the tests and the demo boot.
 */
@NullMarked
package io.github.qemucpr.launcher;

import org.jspecify.annotations.NullMarked;
