#!/usr/bin/env bash
# The plan's test data: import it, check show --json field by field, then the
# restart test across separate processes: pause, resume-task, resume.
. "$(dirname "$0")/lib.sh"

run import "$DATA/test-waiting.yaml"
expect_rc 0 "import the plan's test data"
expect_out "imported 1 execution"

run show --json test-waiting
expect_rc 0 "show --json"
[ "$(json "['execution']['id']")" = test-waiting ] || fail "id"
[ "$(json "['execution']['workflow_name']")" = "Test Waiting Workflow" ] || fail "workflow_name"
[ "$(json "['execution']['start_timestamp']")" = 2024-12-19T10:00:00Z ] || fail "start_timestamp"
[ "$(json "['execution']['end_timestamp']")" = None ] || fail "end_timestamp is null"
[ "$(json "['execution']['status']")" = waiting-for-input ] || fail "status"
[ "$(json "['execution']['task_ids']")" = "['task1']" ] || fail "task_ids"
[ "$(json "['execution']['is_paused']")" = True ] || fail "is_paused"
[ "$(json "['execution']['paused_task_id']")" = task1 ] || fail "paused_task_id"
[ "$(json "['tasks'][0]['task_name']")" = "Test Task" ] || fail "task_name"
[ "$(json "['tasks'][0]['status']")" = waiting-for-input ] || fail "task status"
[ "$(json "['tasks'][0]['logs']")" = "['Task paused for input']" ] || fail "logs"
[ "$(json "['tasks'][0]['end_timestamp']")" = None ] || fail "task end_timestamp is null when absent"
[ "$(json "['tasks'][0]['input']['type']")" = boolean ] || fail "input type"
[ "$(json "['tasks'][0]['input']['required']")" = True ] || fail "input required"
[ "$(json "['tasks'][0]['input_value']")" = None ] || fail "input_value is null"
[ "$(json "['events'][0]['action']")" = import ] || fail "import event"

# each step below is a new process: the store is what survives
run paused --json
expect_rc 0 "paused"
[ "$(json "['id']")" = test-waiting ] || fail "paused lists test-waiting"
# the text form says which task waits and what it asks
run paused
expect_out "    waits for an answer: task1             Approve the deployment? (boolean, required)"

run resume test-waiting task1
expect_rc 1 "resume a required boolean without a value"
expect_err "seectl: task 'task1' requires an input value: Approve the deployment?"
expect_one_line

run resume test-waiting task1 --input maybe
expect_rc 1 "resume with a value that is not a boolean"
expect_err "input value 'maybe' of task 'task1' is not a boolean (true, false, yes or no)"

run resume test-waiting task1 --input yes
expect_rc 0 "resume the task with yes"
run show --json test-waiting
[ "$(json "['execution']['status']")" = running ] || fail "running after the last task resumed"
[ "$(json "['execution']['is_paused']")" = False ] || fail "not paused"
[ "$(json "['execution']['paused_task_id']")" = None ] || fail "paused_task_id cleared"
[ "$(json "['tasks'][0]['input_value']")" = True ] || fail "input value stored as true (a JSON boolean)"
[ "$(json "['events'][0]['action']")" = resume-task ] || fail "resume-task event"
[ "$(json "['events'][0]['input_value']")" = true ] || fail "event carries the value"

run pause test-waiting task1
expect_rc 0 "pause again"
run resume test-waiting
expect_rc 0 "resume the workflow"
run resume test-waiting
expect_rc 1 "resume a running workflow"
expect_err "seectl: execution 'test-waiting' is not waiting for input (status: running)"
run resume test-waiting task1
expect_rc 1 "resume a task that runs"
expect_err "seectl: task 'task1' is not waiting for input (status: in-progress)"

run verify
expect_rc 0 "verify"
finish
