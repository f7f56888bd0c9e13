package io.github.jdalle.cuda;

import io.github.jdalle.core.JdalleException;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Packs kernel arguments for {@code cuLaunchKernel}, whose {@code kernelParams} is an array of pointers, entry
 * i pointing at the value of argument i. Values live in fixed 8-byte slots of one native block, and the
 * pointer array is built once, so a launch allocates nothing. (JavaCPP's {@code Pointer} overload of
 * cuLaunchKernel takes the array one indirection too deep; the {@link PointerPointer} one is the right one.)
 * A 4-byte argument occupies the low half of its slot, which is where the driver reads it on little-endian
 * x86-64. Not thread-safe: the backend serializes launches.
 */
final class KernelLauncher implements AutoCloseable {
    static final int MAX_ARGUMENTS = 24;

    private final LongPointer values = new LongPointer(MAX_ARGUMENTS);
    private final LongPointer addresses = new LongPointer(MAX_ARGUMENTS);
    private final PointerPointer<Pointer> parameters;
    private final StringBuilder kinds = new StringBuilder(MAX_ARGUMENTS);

    KernelLauncher() {
        for (int i = 0; i < MAX_ARGUMENTS; i++) {
            addresses.put(i, values.address() + 8L * i);
        }
        parameters = new PointerPointer<>(addresses);
    }

    /** Starts a new argument list. */
    KernelLauncher arguments() {
        kinds.setLength(0);
        return this;
    }

    /** A pointer argument (a device address; 0 for a null pointer). */
    KernelLauncher pointer(long address) {
        return slot('P', address);
    }

    /** A 64-bit integer argument ({@code long long}). */
    KernelLauncher int64(long value) {
        return slot('L', value);
    }

    /** A 32-bit integer argument. */
    KernelLauncher int32(int value) {
        return slot('I', value & 0xffffffffL);
    }

    /** A 32-bit float argument. */
    KernelLauncher float32(float value) {
        return slot('F', Float.floatToRawIntBits(value) & 0xffffffffL);
    }

    private KernelLauncher slot(char kind, long bits) {
        if (kinds.length() == MAX_ARGUMENTS) {
            throw new JdalleException("more than " + MAX_ARGUMENTS + " kernel arguments");
        }
        values.put(kinds.length(), bits);
        kinds.append(kind);
        return this;
    }

    /** The kinds of the arguments packed since {@link #arguments()}, in {@link Kernel#parameters()} letters. */
    String kinds() {
        return kinds.toString();
    }

    /** Throws unless the packed arguments are exactly {@code kernel}'s parameter list. */
    void requireSignature(Kernel kernel) {
        if (!kernel.parameters().contentEquals(kinds)) {
            throw new JdalleException("kernel " + kernel.function() + " takes (" + kernel.parameters()
                    + ") but was given (" + kinds + ")");
        }
    }

    /** The {@code void**} to pass as kernelParams. */
    PointerPointer<Pointer> parameters() {
        return parameters;
    }

    /** The raw 8-byte slot of argument {@code index}, as the driver will read it. */
    long slotBits(int index) {
        return values.get(index);
    }

    /** The address entry {@code index} of the parameter array holds. */
    long parameterAddress(int index) {
        return addresses.get(index);
    }

    /** The address of argument {@code index}'s slot. */
    long slotAddress(int index) {
        return values.address() + 8L * index;
    }

    @Override
    public void close() {
        addresses.close();
        values.close();
    }
}
