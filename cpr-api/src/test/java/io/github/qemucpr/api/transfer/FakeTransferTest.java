package io.github.qemucpr.api.transfer;

import io.github.qemucpr.api.CprProgressEvent;
import io.github.qemucpr.api.CprTransfer;
import io.github.qemucpr.api.CprTransferBuilder;
import io.github.qemucpr.qmp.QmpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The fixture of the transfer unit tests: a {@link FakeTransferPair} and a source client. */
abstract class FakeTransferTest {
  @TempDir Path dir;
  FakeTransferPair pair;
  QmpClient qmp;
  final List<CprProgressEvent> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startFakes() {
    pair = new FakeTransferPair(dir);
    qmp = pair.connectSource();
  }

  @AfterEach
  void stopFakes() {
    qmp.close();
    pair.close();
  }

  CprTransferBuilder transfer() {
    return CprTransfer.from(qmp)
        .cprChannel(pair.cprChannel)
        .mainChannel(pair.mainChannel)
        .targetQmp(pair.targetQmp)
        .targetConnectTimeout(Duration.ofSeconds(2))
        .progressListener(events::add);
  }
}
