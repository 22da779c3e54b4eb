# Installs the build tree into a fresh prefix, builds a project that finds the package there with
# find_package(protean), and runs that project's program and the installed command-line tool.
# Run by ctest as: cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -P check_install.cmake
foreach(name BUILD_DIR SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${name})
    message(FATAL_ERROR "check_install.cmake: pass -D${name}=...")
  endif()
endforeach()

function(run_step description)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${description} failed (exit status ${status}):\n${output}")
  endif()
  message(STATUS "${description}: done")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run_step("install into ${prefix}" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
run_step("configure the consumer project"
  ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/consumer -B ${WORK_DIR}/consumer -G Ninja
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix} -DQUICKSTART_SOURCE=${SOURCE_DIR}/examples/quickstart.cpp)
run_step("build the consumer project" ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
execute_process(COMMAND ${WORK_DIR}/consumer/quickstart WORKING_DIRECTORY ${WORK_DIR}
  RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT status EQUAL 0 OR NOT output MATCHES "f\\(0\\.5\\) = ")
  message(FATAL_ERROR "the quickstart built against the installed package failed (exit status ${status}):\n${output}")
endif()
message(STATUS "quickstart against the installed package: ${output}")
run_step("run the installed command-line tool" ${prefix}/bin/protean --version)
