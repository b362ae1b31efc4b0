package io.github.qemucpr.qmp.internal.protocol;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpEventListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/** The checked settings from {@code QmpClient.Builder}. */
public record QmpSettings(
    @Nullable Path unixSocket,
    @Nullable String tcpHost,
    int tcpPort,
    Duration connectTimeout,
    Duration commandTimeout,
    int maxMessageBytes,
    boolean enableOob,
    @Nullable QmpEventListener eventListener,
    @Nullable String name,
    @Nullable Consumer<? super QmpClient> onConnect) {

  String peer() {
    return unixSocket != null ? unixSocket.toString() : "tcp:" + tcpHost + ":" + tcpPort;
  }
}
