package io.github.qemucpr.testing;

import io.github.qemucpr.testing.FakeQmpServer.Responder;
import java.time.Duration;

/** Ready-made {@link Responder}s for {@link FakeQmpServer}. */
public final class Responders {
  private Responders() {}

  /** Replies {@code {"return": json}}. */
  public static Responder returns(String json) {
    return (request, exchange) -> exchange.returns(json);
  }

  /** Replies with an error of class {@code errorClass}. */
  public static Responder error(String errorClass, String desc) {
    return (request, exchange) -> exchange.error(errorClass, desc);
  }

  /** Never replies, as a hung monitor or a lost reply. */
  public static Responder silent() {
    return (request, exchange) -> {};
  }

  /** Replies after {@code delay}, without blocking the server's reading. */
  public static Responder delayed(Duration delay, Responder then) {
    return (request, exchange) -> exchange.later(delay, () -> then.respond(request, exchange));
  }

  /** Sends the events first, then the reply. */
  public static Responder eventsThenReturns(String json, String... eventNames) {
    return (request, exchange) -> {
      for (String e : eventNames) {
        exchange.event(e, null);
      }
      exchange.returns(json);
    };
  }

  /** Closes the connection instead of replying, as a QEMU that dies mid-command. */
  public static Responder disconnect() {
    return (request, exchange) -> exchange.disconnect();
  }
}
