# Freestanding compilation for hv/ (and the guest models): no libc headers
# reachable. -nostdinc removes every system include directory; the
# compiler's own include directory (stdint.h, stddef.h, stdbool.h,
# stdarg.h) is put back explicitly, so '#include <stdio.h>' fails to build.
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
  OUTPUT_VARIABLE HV_CC_BUILTIN_INCLUDE OUTPUT_STRIP_TRAILING_WHITESPACE)
set(HV_FREESTANDING_FLAGS -ffreestanding -fno-builtin -nostdinc
    -isystem ${HV_CC_BUILTIN_INCLUDE})

function(hv_freestanding target)
  target_compile_options(${target} PRIVATE ${HV_FREESTANDING_FLAGS})
endfunction()
