import org.jspecify.annotations.NullMarked;

/**
 * A typed, asynchronous client for the QEMU Machine Protocol (QMP).
 *
 * <p>Start with {@link io.github.qemucpr.qmp.QmpClient}. Typed commands live in
 * {@link io.github.qemucpr.qmp.command}, typed events in {@link io.github.qemucpr.qmp.event}.
 */
@NullMarked
module io.github.qemucpr.qmp {
  requires static transitive org.jspecify;
  requires transitive tools.jackson.databind;
  requires org.newsclub.net.unix;

  exports io.github.qemucpr.qmp;
  exports io.github.qemucpr.qmp.command;
  exports io.github.qemucpr.qmp.event;
  exports io.github.qemucpr.qmp.internal.wire to io.github.qemucpr.qga;

  opens io.github.qemucpr.qmp.command to tools.jackson.databind;
  opens io.github.qemucpr.qmp.event to tools.jackson.databind;
  opens io.github.qemucpr.qmp to tools.jackson.databind;
}
