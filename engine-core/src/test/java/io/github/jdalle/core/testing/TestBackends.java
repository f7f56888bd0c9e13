package io.github.jdalle.core.testing;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.BackendProvider;
import io.github.jdalle.core.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ServiceLoader;

/**
 * The backend that model tests run on, named by the system property {@value #PROPERTY} ({@code cpu} by default;
 * {@code -Djdalle.test.backend=cuda} runs the golden tests on the GPU). Where the named backend cannot run here
 * (not on the class path, no GPU) the test is skipped, not failed.
 *
 * <p>A class that creates its backend in {@code @BeforeAll} also declares {@code @ExtendWith(TestBackends.class)}:
 * the class is then skipped before {@code @BeforeAll}, so {@code @AfterAll} never closes what was not opened.
 */
public final class TestBackends implements ExecutionCondition {
    /** The system property naming the backend. */
    public static final String PROPERTY = "jdalle.test.backend";

    private TestBackends() {
    }

    /** The chosen backend with one host thread per core. */
    public static Backend create() {
        return create(0);
    }

    /** The chosen backend with {@code threads} host threads (0 = one per core). */
    public static Backend create(int threads) {
        return Backends.create(name(), threads);
    }

    /** The chosen backend's name (for {@code --backend}); aborts the calling test where it cannot run here. */
    public static String name() {
        String name = System.getProperty(PROPERTY, "cpu");
        String reason = unavailableReason(name);
        Assumptions.assumeTrue(reason == null, () -> "backend '" + name + "' (-D" + PROPERTY + "): " + reason);
        return name;
    }

    /** Skips the annotated class or method where the chosen backend cannot run here. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String name = System.getProperty(PROPERTY, "cpu");
        String reason = unavailableReason(name);
        return reason == null ? ConditionEvaluationResult.enabled("on backend " + name)
                : ConditionEvaluationResult.disabled("backend '" + name + "' (-D" + PROPERTY + "): " + reason);
    }

    /** Why backend {@code name} cannot run here, or null when it can. */
    static String unavailableReason(String name) {
        if (name.equals("cpu")) {
            return null;
        }
        for (BackendProvider provider : ServiceLoader.load(BackendProvider.class)) {
            if (provider.name().equals(name)) {
                return provider.unavailableReason();
            }
        }
        return "no such backend on the class path";
    }
}
