package io.github.qemucpr.qmp.hostile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * A Unix socket that listens and never accepts, with its backlog filled: what a stopped or hung
 * peer looks like to a new client, whose blocking connect would wait for ever.
 */
public final class FullBacklog implements AutoCloseable {

  private final Path path;
  private final AFUNIXServerSocket server;
  private final List<AFUNIXSocketChannel> queued = new ArrayList<>();

  private FullBacklog(Path path, AFUNIXServerSocket server) {
    this.path = path;
    this.server = server;
  }

  /** Listens at a new path under {@code dir} with a backlog of one, and fills the backlog. */
  public static FullBacklog listen(Path dir) throws IOException {
    Path path = dir.resolve("full.sock");
    Files.deleteIfExists(path);
    AFUNIXServerSocket server = AFUNIXServerSocket.newInstance();
    server.bind(AFUNIXSocketAddress.of(path), 1);
    FullBacklog backlog = new FullBacklog(path, server);
    for (int i = 0; i < 64; i++) {
      AFUNIXSocketChannel channel = AFUNIXSocketChannel.open();
      channel.configureBlocking(false);
      boolean connected = channel.connect(AFUNIXSocketAddress.of(path));
      if (!connected) {
        channel.close();
        return backlog; // the kernel said EAGAIN: full
      }
      backlog.queued.add(channel);
    }
    backlog.close();
    throw new IllegalStateException("64 connections queued and the backlog is still not full");
  }

  /** The socket's path. */
  public Path path() {
    return path;
  }

  @Override
  public void close() throws IOException {
    for (AFUNIXSocketChannel channel : queued) {
      channel.close();
    }
    server.close();
    Files.deleteIfExists(path);
  }
}
