# The GPU bridge's native addon (src/gpu/native). Built at `npm install` by scripts/build-native.mjs:
# OpenBLAS when pkg-config finds it, the blocked C++ gemm otherwise; the CUDA kernels only where
# nvcc is on the PATH (and FABRIC_CUDA is not 0). The build script retries without CUDA and then
# gives up quietly: the pure-JS backend serves wherever no addon loads.
{
  "variables": {
    "with_openblas%": "<!(pkg-config --exists openblas 2>/dev/null && echo 1 || echo 0)",
    "with_cuda%": "<!(test \"$FABRIC_CUDA\" != 0 && command -v nvcc >/dev/null 2>&1 && echo 1 || echo 0)",
    "cuda_home%": "<!(sh scripts/cuda-home.sh)"
  },
  "targets": [
    {
      "target_name": "fabric_gpu",
      "sources": ["src/gpu/native/addon.cc", "src/gpu/native/cpu.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-march=native", "-fno-math-errno"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags!": ["-fno-exceptions"],
      "conditions": [
        ["with_openblas==1", {
          "defines": ["FABRIC_WITH_OPENBLAS"],
          "cflags_cc": ["<!@(pkg-config --cflags openblas)"],
          "libraries": ["<!@(pkg-config --libs openblas)"]
        }],
        ["with_cuda==1", {
          "defines": ["FABRIC_WITH_CUDA"],
          "sources": ["src/gpu/native/cuda.cu"],
          "include_dirs": ["<(cuda_home)/include"],
          "libraries": ["-L<(cuda_home)/lib64", "-L<(cuda_home)/lib", "-lcudart_static", "-ldl", "-lpthread", "-lrt"],
          "rules": [{
            "rule_name": "nvcc",
            "extension": "cu",
            "inputs": ["src/gpu/native/kernels.h"],
            "outputs": ["<(INTERMEDIATE_DIR)/<(RULE_INPUT_ROOT).o"],
            "action": ["nvcc", "-std=c++17", "-O3", "-DFABRIC_WITH_CUDA", "-Xcompiler", "-fPIC",
                       "-gencode", "arch=compute_90,code=sm_90", "-gencode", "arch=compute_80,code=compute_80",
                       "-c", "<(RULE_INPUT_PATH)", "-o", "<(INTERMEDIATE_DIR)/<(RULE_INPUT_ROOT).o"],
            "message": "nvcc <(RULE_INPUT_NAME)",
            "process_outputs_as_sources": 1
          }]
        }]
      ]
    }
  ]
}
