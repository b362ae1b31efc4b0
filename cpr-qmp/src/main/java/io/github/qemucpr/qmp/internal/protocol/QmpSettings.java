package io.github.qemucpr.qmp.internal.protocol;

import io.github.qemucpr.qmp.QmpEventListener;
import java.nio.file.Path;
import java.time.Duration;
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
    @Nullable String name) {

  String peer() {
    return unixSocket != null ? unixSocket.toString() : "tcp:" + tcpHost + ":" + tcpPort;
  }
}
