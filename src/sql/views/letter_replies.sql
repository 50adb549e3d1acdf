-- view: letter_replies
-- label: 函件答复情况 | Letters and their replies
-- as_of_function: letter_replies_as_of
-- description: Every letter of the register (发函登记) and where its reply stands as of a date D:
-- `not_issued` (registered, not sent by D), `awaiting` (sent, no reply yet, its reply
-- deadline not passed), `unanswered` (sent, no reply, deadline passed), `answered_on_time`
-- or `answered_late` (replied by D, on or before the deadline, or after it).
-- column letter_no: 函号 | e.g. 测便〔2019〕3号
-- column kind: 函件类型 | notice (便函) or urge (督促函) | short: 函件
-- column year: 年度 | the plan year the letter is about
-- column department: 主管部门 | competent department, normalised name
-- column unit: 预算单位 | budget unit the letter went to
-- column systems: 滞后系统数 | systems behind plan the letter names | short: 滞后系统
-- column issued_on: 发函日期 | when the letter was sent
-- column reply_due_on: 复函期限 | the unit's reply deadline
-- column replied_on: 复函日期 | when the unit replied (by D)
-- column reply: 答复情况 | not_issued, awaiting, unanswered, answered_on_time or answered_late
-- column as_of: 统计日期 | the date the row is evaluated on
-- column source_file: 来源文件 | the register file the row came from
-- column source_sheet: 工作表 | sheet the row came from
-- column source_row: 行号 | 1-based row number as Excel shows it
SELECT letter_no, kind, year, department, unit, systems, issued_on, reply_due_on,
       CASE WHEN replied_on <= {{as_of}} THEN replied_on END AS replied_on,
       CASE WHEN issued_on IS NULL OR issued_on > {{as_of}} THEN 'not_issued'
            WHEN replied_on <= {{as_of}} AND (reply_due_on IS NULL OR replied_on <= reply_due_on) THEN 'answered_on_time'
            WHEN replied_on <= {{as_of}} THEN 'answered_late'
            WHEN reply_due_on < {{as_of}} THEN 'unanswered'
            ELSE 'awaiting' END AS reply,
       {{as_of}} AS as_of,
       source_file, source_sheet, source_row
FROM letters
