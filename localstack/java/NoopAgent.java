/**
 * A java agent that does nothing.
 *
 * <p>LocalStack always starts DynamoDB Local with
 * {@code -javaagent:<lib>/dynamodb-local/2/ddb-local-loader-0.1.jar}. It normally downloads that
 * jar; offline we build this one instead (manifest {@code Premain-Class: NoopAgent}), because
 * the JVM refuses to start when the agent jar is missing and there is no other hook to drop it.
 */
public final class NoopAgent {
    private NoopAgent() {}

    public static void premain(String agentArgs, java.lang.instrument.Instrumentation inst) {}
}
