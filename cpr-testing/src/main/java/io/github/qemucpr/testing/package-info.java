/**
 * Test doubles for QMP and the guest agent, and the test guest image. Start with {@link
 * io.github.qemucpr.testing.FakeQmpServer} to script replies by hand, or {@link
 * io.github.qemucpr.testing.FakeQemu} for a QEMU whose CPR migration runs as the real one's.
 */
@NullMarked
package io.github.qemucpr.testing;

import org.jspecify.annotations.NullMarked;
