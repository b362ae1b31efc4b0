import org.jspecify.annotations.NullMarked;

/**
 * Test doubles for code that drives QEMU: {@link io.github.qemucpr.testing.FakeQmpServer}, a
 * scripted QMP monitor on a Unix socket; {@link io.github.qemucpr.testing.FakeQemu}, a QEMU 10.0
 * simulated on it for CPR (run state, migration, memory backends, fd sets, events in QEMU's order);
 * {@link io.github.qemucpr.testing.FakeGuestAgent}, a guest agent that can also misbehave; and
 * {@link io.github.qemucpr.testing.TestGuestImage}, the little Linux guest for tests that boot a
 * real QEMU. It depends on none of the SDK's modules, so that their own tests can use it.
 */
@NullMarked
module io.github.qemucpr.testing {
  requires static transitive org.jspecify;
  // The fakes hand requests over as JsonNode: a test double speaks the wire's JSON.
  requires transitive tools.jackson.databind;
  requires org.newsclub.net.unix;
  requires com.kohlschutter.junixsocket.nativecommon;

  exports io.github.qemucpr.testing;
}
