package io.github.jdalle.vqgan;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ActivationBuffersTest {
    @Test
    void releasedBuffersAreReusedForAnyShapeThatFits() {
        try (Backend backend = Backends.cpu(1); Workspace workspace = backend.workspace()) {
            var buffers = new ActivationBuffers(workspace, 64);
            Tensor first = buffers.take(2, 4, 8);
            Tensor second = buffers.take(3, 5);
            assertArrayEquals(new int[] {2, 4, 8}, first.shape());
            assertNotEquals(first.segment().address(), second.segment().address());
            buffers.release(first);
            Tensor reused = buffers.take(1, 4, 4, 4);
            assertEquals(first.segment().address(), reused.segment().address());
            assertEquals(64, reused.elementCount());
            // a request larger than the capacity gets a buffer of its own size
            assertEquals(100, buffers.take(10, 10).elementCount());
            buffers.release(reused);
            assertThrows(IllegalStateException.class, () -> buffers.release(reused));
        }
    }
}
