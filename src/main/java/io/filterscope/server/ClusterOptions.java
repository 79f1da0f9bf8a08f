package io.filterscope.server;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;

/**
 * How a node joins the others: Vert.x's clustered event bus over Hazelcast, bound to {@code host}, with the
 * Hazelcast member on {@code port} (0: Hazelcast's default 5701 and up) and TCP-IP join to the listed
 * members ({@code host:port}); no multicast, so it works on networks and containers that drop it.
 */
public record ClusterOptions(String host, int port, List<String> join) {

    public Future<Vertx> vertx() {
        Config hazelcast = ConfigUtil.loadConfig();
        hazelcast.setClusterName("filterscope");
        // The node's own shutdown hook leaves the cluster after ending its runs; Hazelcast's would leave first.
        hazelcast.setProperty("hazelcast.shutdownhook.enabled", "false");
        hazelcast.setProperty("hazelcast.wait.seconds.before.join", "0");
        hazelcast.setProperty("hazelcast.logging.type", "slf4j");
        hazelcast.setProperty("hazelcast.phone.home.enabled", "false");
        var network = hazelcast.getNetworkConfig();
        // Bind to this address only (a test cluster stays on 127.0.0.1), and tell the others to use it.
        hazelcast.setProperty("hazelcast.local.localAddress", host);
        hazelcast.setProperty("hazelcast.socket.bind.any", "false");
        if (port > 0) {
            network.setPort(port).setPortAutoIncrement(false);
        }
        JoinConfig joining = network.getJoin();
        joining.getMulticastConfig().setEnabled(false);
        joining.getAutoDetectionConfig().setEnabled(false);
        joining.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2).setMembers(join);
        VertxOptions options = new VertxOptions().setEventBusOptions(new EventBusOptions().setHost(host).setPort(0));
        return Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hazelcast)).buildClustered();
    }
}
