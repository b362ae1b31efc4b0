/**
 * Test doubles for QMP and the guest agent, and the test guest image. Start with {@link
 * io.github.qemucpr.testing.FakeQmpServer}.
 */
@NullMarked
package io.github.qemucpr.testing;

import org.jspecify.annotations.NullMarked;
