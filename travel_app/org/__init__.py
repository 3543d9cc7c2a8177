"""Units, people, roles and deputies: who works where and who acts for whom."""
