package io.github.jdalle.cuda;

import io.github.jdalle.core.JdalleException;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The kernelParams layout cuLaunchKernel reads ({@code *(T*) kernelParams[i]} is argument i), checked in
 * native memory without a GPU.
 */
class KernelLauncherTest {
    @Test
    void entryIPointsAtTheValueOfArgumentI() {
        try (KernelLauncher launcher = new KernelLauncher()) {
            launcher.arguments().pointer(0x7f12_3456_7890L).int32(-7).float32(1.5f).int64(1L << 40);
            Pointer[] entries = new Pointer[4];
            for (int i = 0; i < entries.length; i++) {
                entries[i] = launcher.parameters().get(i);
                assertEquals(launcher.slotAddress(i), entries[i].address(), "entry " + i);
            }
            assertEquals(0x7f12_3456_7890L, new LongPointer(entries[0]).get());
            assertEquals(-7, new IntPointer(entries[1]).get());
            assertEquals(1.5f, new FloatPointer(entries[2]).get());
            assertEquals(1L << 40, new LongPointer(entries[3]).get());
        }
    }

    @Test
    void argumentsMustMatchTheKernelsParameters() {
        try (KernelLauncher launcher = new KernelLauncher()) {
            launcher.arguments().pointer(1).int32(2);
            assertThrows(JdalleException.class, () -> launcher.requireSignature(Kernel.SOFTMAX_ROWS));
            launcher.arguments().pointer(1).pointer(2).int32(3);
            assertDoesNotThrow(() -> launcher.requireSignature(Kernel.SOFTMAX_ROWS));
            launcher.arguments().pointer(1).pointer(2).float32(3);
            assertThrows(JdalleException.class, () -> launcher.requireSignature(Kernel.SOFTMAX_ROWS));
        }
    }
}
