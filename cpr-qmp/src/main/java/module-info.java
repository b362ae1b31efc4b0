import org.jspecify.annotations.NullMarked;

/**
 * A typed, asynchronous client for the QEMU Machine Protocol (QMP).
 *
 * <p>Start with {@link io.github.qemucpr.qmp.QmpClient}. Typed commands live in {@link
 * io.github.qemucpr.qmp.command}, typed events in {@link io.github.qemucpr.qmp.event}.
 */
// "module": the qualified export names io.github.qemucpr.qga, which is built after this module.
@SuppressWarnings("module")
@NullMarked
module io.github.qemucpr.qmp {
  requires static transitive org.jspecify;
  requires transitive tools.jackson.databind;
  requires org.newsclub.net.unix;
  // junixsocket finds its JNI library in this module's resources; nothing else requires it, so
  // without this line it is not resolved on the module path (UnsatisfiedLinkError on connect).
  requires com.kohlschutter.junixsocket.nativecommon;

  exports io.github.qemucpr.qmp;
  exports io.github.qemucpr.qmp.command;
  exports io.github.qemucpr.qmp.event;
  exports io.github.qemucpr.qmp.internal.wire to
      io.github.qemucpr.qga;

  opens io.github.qemucpr.qmp.command to
      tools.jackson.databind;
  opens io.github.qemucpr.qmp.event to
      tools.jackson.databind;
  opens io.github.qemucpr.qmp to
      tools.jackson.databind;
}
