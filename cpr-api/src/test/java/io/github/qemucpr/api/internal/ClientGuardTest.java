package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.FakeQmpServer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/** One CPR operation at a time per QEMU, whichever client object it comes through. */
class ClientGuardTest {

  /** A decorator, as a manager adds for logging or metrics: it passes every call through. */
  private static QmpClient decorated(QmpClient inner) {
    return (QmpClient)
        Proxy.newProxyInstance(
            QmpClient.class.getClassLoader(),
            new Class<?>[] {QmpClient.class},
            (proxy, method, args) -> {
              try {
                return method.invoke(inner, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  @Test
  void aDecoratedClientOfABusyQemuIsRefused() {
    try (FakeQmpServer server = FakeQmpServer.start();
        QmpClient qmp = QmpClient.connect(server.socketPath());
        ClientGuard save = ClientGuard.acquire(qmp, "save")) {
      assertThatThrownBy(() -> ClientGuard.acquire(decorated(qmp), "restore"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("a CPR save")
          .hasMessageContaining(server.socketPath().toString());
    }
  }

  @Test
  void theQemuIsFreeAgainOnceTheOperationEnds() {
    try (FakeQmpServer server = FakeQmpServer.start();
        QmpClient qmp = QmpClient.connect(server.socketPath())) {
      ClientGuard.acquire(qmp, "save").close();
      try (ClientGuard again = ClientGuard.acquire(decorated(qmp), "restore")) {
        assertThat(again).isNotNull();
      }
    }
  }

  @Test
  void twoQemusAreGuardedApart() {
    try (FakeQmpServer a = FakeQmpServer.start();
        FakeQmpServer b = FakeQmpServer.start();
        QmpClient qa = QmpClient.connect(a.socketPath());
        QmpClient qb = QmpClient.connect(b.socketPath());
        ClientGuard first = ClientGuard.acquire(qa, "save");
        ClientGuard second = ClientGuard.acquire(qb, "save")) {
      assertThat(second).isNotSameAs(first);
    }
  }
}
