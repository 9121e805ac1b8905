import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local's entry point, bound to 127.0.0.1 instead of every interface.
 *
 * <p>DynamoDB Local has no option for the bind address and always listens on 0.0.0.0. We keep
 * it on loopback: build the server exactly as its own {@code ServerRunner} does (same command
 * line, so LocalStack's {@code -port N -inMemory} still apply), set the host on the Jetty
 * connectors before they open, then start it. Its own {@code main} also sets up telemetry,
 * which we skip: it could only fail offline.
 */
public final class LoopbackDynamoDBLocal {
    private LoopbackDynamoDBLocal() {}

    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        // The Jetty server is a private field with no getter; reflection is the only way in.
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        int bound = 0;
        for (Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector serverConnector) {
                serverConnector.setHost("127.0.0.1");
                bound++;
            }
        }
        // Fail loudly rather than silently listen on every interface after an upgrade.
        if (bound == 0) {
            throw new IllegalStateException("DynamoDB Local has no ServerConnector to bind to 127.0.0.1");
        }
        proxy.start();
    }
}
