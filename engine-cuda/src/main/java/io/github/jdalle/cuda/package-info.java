/**
 * The CUDA backend: {@link io.github.jdalle.cuda.CudaBackend} implements the engine-core
 * {@link io.github.jdalle.core.Backend} on NVIDIA GPUs of compute capability 8.0 or newer, through the CUDA
 * driver API as JavaCPP exposes it.
 *
 * <p>Where things are:
 * <ul>
 *   <li>kernels: {@code src/main/resources/io/github/jdalle/cuda/kernels/*.cu}, one file per family
 *       ({@link io.github.jdalle.cuda.KernelModule}), each naming its CPU twin and the idea of its version at
 *       the top; their entry points and parameter lists are {@link io.github.jdalle.cuda.Kernel};</li>
 *   <li>compilation: {@link io.github.jdalle.cuda.KernelCompiler}, NVRTC at run time for the GPU's
 *       architecture with a disk cache, which nvcc can also fill ahead of time;</li>
 *   <li>validation and timing: {@link io.github.jdalle.cuda.KernelCheck}, every op against the
 *       {@link io.github.jdalle.core.cpu.CpuBackend} on random shapes, runnable as a main class and as
 *       {@code CudaBackendTest};</li>
 *   <li>on a GPU machine: {@code scripts/gpu-prepare.sh} here, {@code scripts/gpu-check.sh} there.</li>
 * </ul>
 *
 * <p>Nothing native is loaded until the backend is asked for: {@link io.github.jdalle.cuda.CudaBackendProvider}
 * reports why CUDA cannot run (no driver, no GPU, too old a GPU) instead of failing, so the CPU path works
 * wherever this module is on the class path.
 */
package io.github.jdalle.cuda;
